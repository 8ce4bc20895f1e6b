"""Fine-tuning: model loading, training examples, the trainer."""
