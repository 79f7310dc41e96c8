"""Write side of bookings: the two-phase lifecycle, cancellation and ticket validation."""
