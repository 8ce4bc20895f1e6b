"""Building blocks of the cluster stage: task signatures, cached embeddings, cluster profiles."""
