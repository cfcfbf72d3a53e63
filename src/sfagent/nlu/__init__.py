"""Natural-language understanding: intents, out-of-scope, entities, sentiment, language."""
