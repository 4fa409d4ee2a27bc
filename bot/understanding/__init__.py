"""Understanding what people write: intents learned from per-locale corpora, and the
answer slots (yes/no, option labels) in every shipped language."""
