"""One module per screen: its State class (if any) and its page function."""
