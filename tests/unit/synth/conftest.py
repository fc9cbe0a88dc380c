import pytest

from signclip.synth.dataset import SynthSpec
from signclip.synth.generate import generate_dataset

# Small but complete: 3 languages, 6 signers (4 train, 1 dev, 1 test), 3 signers per sign.
SPEC = SynthSpec(concepts=5, languages=3, signers=6, seed=7, clips_per_sign=3)


@pytest.fixture(scope="session")
def synth_spec() -> SynthSpec:
    return SPEC


@pytest.fixture(scope="session")
def synth_dataset(tmp_path_factory):
    """(folder, report) of SPEC written with one worker."""
    folder = tmp_path_factory.mktemp("synth") / "one-worker"
    return folder, generate_dataset(folder, SPEC, workers=1, progress=False)
