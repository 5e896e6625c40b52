"""FMMTCClassifier (a thin skorch ``NeuralNetClassifier`` subclass) and its runtime mixin."""

from .fmmtc import FMMTCClassifier, ModuleInput

__all__ = ["FMMTCClassifier", "ModuleInput"]
