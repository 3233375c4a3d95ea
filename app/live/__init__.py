"""Real-time prices: the /ws endpoint, its connections and the Redis pub/sub bridge."""
