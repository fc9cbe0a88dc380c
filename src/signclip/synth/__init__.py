"""Generated sign-language dictionaries: MediaPipe Holistic `.pose` clips built from phonology.

    from signclip.synth import SynthSpec, generate_dataset, iter_features

    spec = SynthSpec(concepts=200, languages=5, signers=12, seed=0)
    report = generate_dataset("data/synth", spec, workers=0)   # poses/, manifest.csv, synth.json
    for clip_id, features in iter_features(spec, PoseConfig(), workers=4):   # no files
        ...

Modules, in the order a clip is made: `lexicon` (concepts × languages → forms) draws forms from
`phonology` (handshapes of `hand`, locations, orientations, movements); `signer` draws who signs;
`tracks` puts a form in time per hand; `animate` builds the body (`skeleton`), hands (`hand`)
and face (`face`) and puts them in the camera; `detection` adds what a pose estimator does
(noise, visibilities, dropped hands); `writer` makes the `.pose` file; `dataset` says which clips
exist; `generate` makes them in parallel. Shared conventions: `skeleton` (body frame) and
`animate` (MediaPipe units).
"""

from signclip.synth.dataset import ClipPlan, SynthSpec, make_pose, manifest_records, plan_clips
from signclip.synth.generate import GenerateReport, generate_dataset, iter_features

__all__ = [
    "ClipPlan",
    "GenerateReport",
    "SynthSpec",
    "generate_dataset",
    "iter_features",
    "make_pose",
    "manifest_records",
    "plan_clips",
]
