"""Entity extraction with character spans: Salesforce objects, fields, ids, errors, limits, code."""

from sfagent.nlu.entities.code import CodeRegion, find_code_regions, mask_regions
from sfagent.nlu.entities.extract import extract_entities
from sfagent.nlu.entities.model import Entity, EntityType, MetaValue
from sfagent.nlu.entities.people import (
    PersonOrgRecognizer,
    SpacyRecognizer,
    load_spacy_recognizer,
)
from sfagent.nlu.entities.record_ids import (
    RecordIdInfo,
    checksum_suffix,
    record_id_prefix_object,
    validate_record_id,
)

__all__ = [
    "CodeRegion",
    "Entity",
    "EntityType",
    "MetaValue",
    "PersonOrgRecognizer",
    "RecordIdInfo",
    "SpacyRecognizer",
    "checksum_suffix",
    "extract_entities",
    "find_code_regions",
    "load_spacy_recognizer",
    "mask_regions",
    "record_id_prefix_object",
    "validate_record_id",
]
