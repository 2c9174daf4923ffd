"""Events of the core domain that other apps react to, without portal importing them."""

from django.dispatch import Signal

# Sent inside the transfer's transaction: student (moved), from_school, by (the user).
student_transferred = Signal()
