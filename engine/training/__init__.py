"""Training a style: data checks, losses, the trainer loop with resumable checkpoints."""
