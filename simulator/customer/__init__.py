"""The simulated customer: reactions, state, and the state machine that drives them."""
