"""FMMTCClassifier (a skorch ``NeuralNetClassifier`` subclass), its inputs and runtime mixin."""

from .fmmtc import FMMTCClassifier, ModuleInput

__all__ = ["FMMTCClassifier", "ModuleInput"]
