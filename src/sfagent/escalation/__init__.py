"""Hand-offs to people: why, how urgent, by when, and what the person needs to know."""
