"""Who acts: the actor and its roles, and staff accounts (sign-in, lockout, roles)."""
