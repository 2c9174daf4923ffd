"""Events of the core domain that other apps react to, without portal importing them."""

from django.dispatch import Signal

# Sent inside the transfer's transaction: student (moved), from_school, by (the user).
student_transferred = Signal()

# Asked as each delivery of a message to a student's family is sent (portal.notifications): notification (with
# its student). A receiver answers why the family may not be contacted now ("" or None: it may). Any reason
# withholds the delivery.
family_message_check = Signal()

# Sent when a delivery was withheld, in the transaction that records it: notification, reason.
family_message_withheld = Signal()

# Sent once a district's data was loaded in bulk and committed (a roster import applied, the demo seeded):
# district_id. Receivers recompute what they derive from it (the dashboard's figures) instead of waiting.
district_loaded = Signal()
