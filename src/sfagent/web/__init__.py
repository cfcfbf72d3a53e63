"""The web pages: the chat widget's demo page and the agent console."""
