"""The training wizard: teach Atelier a new style from the user's own artworks."""
