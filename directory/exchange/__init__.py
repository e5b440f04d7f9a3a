"""HSDS 3.0 JSON import and export."""
