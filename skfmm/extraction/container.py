# Kept until classifier and benchmark imports move; to be removed. The container lives in skfmm.container.
from skfmm.container import (KNOWN_KEYS, ContainerInputMixin, MultimodalData,  # noqa: F401
                             _rebuild, check_multimodal)
