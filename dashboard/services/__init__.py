"""Use-cases: every read a screen shows and every write it makes. No Reflex imports here."""
