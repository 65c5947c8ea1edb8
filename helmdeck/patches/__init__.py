"""Hot-fix patches: unified diffs shipped as a ConfigMap and mounted into a chart's pods."""

from helmdeck.patches.attach import MOUNT_PATH, attach_overrides, main_pods
from helmdeck.patches.build import build_configmap, load_patches
from helmdeck.patches.unified import validate_diff

__all__ = [
    "MOUNT_PATH",
    "attach_overrides",
    "build_configmap",
    "load_patches",
    "main_pods",
    "validate_diff",
]
