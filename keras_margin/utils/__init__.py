"""Small internal helpers shared across keras_margin packages."""
