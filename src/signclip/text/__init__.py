"""Prompts and tokenisation of the text side."""
