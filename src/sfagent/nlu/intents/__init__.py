"""Intent classification: training, calibrated top-k prediction, out-of-scope, multi-intent.

Model directories are versioned artifacts (manifest.json, vocabulary.json, parameters.npz);
they are loaded without pickle and checked against the SHA-256 sums in their manifest.
"""

from sfagent.nlu.intents.cache import default_cache_dir
from sfagent.nlu.intents.data import OOS_LABEL, Example, data_sha256, load_examples
from sfagent.nlu.intents.errors import IntentDataError, IntentModelError, SemanticUnavailable
from sfagent.nlu.intents.evaluation import evaluate
from sfagent.nlu.intents.features import LexicalSpec
from sfagent.nlu.intents.model import IntentModel, IntentPrediction, IntentScore
from sfagent.nlu.intents.multi import IntentSpan, split_intents
from sfagent.nlu.intents.semantic import MiniLMEncoder, SentenceEncoder, semantic_available
from sfagent.nlu.intents.shipped import shipped_data_path, shipped_model
from sfagent.nlu.intents.static import StaticEncoder, static_encoder
from sfagent.nlu.intents.training import IntentConfig

__all__ = [
    "OOS_LABEL",
    "Example",
    "IntentConfig",
    "IntentDataError",
    "IntentModel",
    "IntentModelError",
    "IntentPrediction",
    "IntentScore",
    "IntentSpan",
    "LexicalSpec",
    "MiniLMEncoder",
    "SemanticUnavailable",
    "SentenceEncoder",
    "StaticEncoder",
    "data_sha256",
    "default_cache_dir",
    "evaluate",
    "load_examples",
    "semantic_available",
    "shipped_data_path",
    "shipped_model",
    "split_intents",
    "static_encoder",
]
