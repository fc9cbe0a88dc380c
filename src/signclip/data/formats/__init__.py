"""Importers that turn public datasets' own layouts into manifest records: one module per layout.

Each module names its `LAYOUT` (the name on the command line), a one-line `HELP`, its own options
(`add_arguments(parser)`) and `import_dataset(source, out, args, report) -> list[ClipRecord]`;
`signclip import` builds one sub-command per module listed here. The modules are imported only
when `layouts()` is called, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MODULES = (
    "fingerspelling_lexicon",
    "spreadthesign",
    "asl_signs",
    "asl_citizen",
    "semlex",
    "wlasl",
    "wlasl_landmarks",
    "how2sign",
    "pose_folder",
    "landmark_arrays",
)


def layouts() -> dict[str, ModuleType]:
    """Layout name -> module, in the order of `MODULES`."""
    modules = (importlib.import_module(f"{__name__}.{name}") for name in MODULES)
    return {module.LAYOUT: module for module in modules}
