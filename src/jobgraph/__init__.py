"""jobgraph: a knowledge graph of French job referentials and competences, linked to ROME."""

__version__ = "0.1.0"
