"""Wrong answers to the notebooks' exercises, one module per notebook."""
