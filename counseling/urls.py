from django.urls import path

from counseling import parent_views, poster_views, views

app_name = "counseling"
urlpatterns = [
    path("", views.schedule, name="schedule"),
    path("setup/", views.setup, name="setup"),
    path("slots/generate/", views.slots_generate, name="slots_generate"),
    path("groups/new/", views.group_new, name="group_new"),
    path("slots/<int:pk>/", views.slot, name="slot"),
    path("bookings/<int:pk>/mark/", views.booking_mark, name="booking_mark"),
    path("bookings/<int:pk>/cancel/", views.booking_cancel, name="booking_cancel"),
    path("bookings/<int:pk>/move/", views.booking_move, name="booking_move"),
    path("bookings/<int:pk>/booking.ics", views.booking_ics, name="booking_ics"),
    path("bookings/<int:booking_pk>/record/", views.record_new, name="record_new"),
    path("records/<int:pk>/", views.record, name="record"),
    path("records/<int:pk>/break-glass/", views.record_break_glass, name="record_break_glass"),
    path("records/<int:pk>/share/", views.record_share, name="record_share"),
    path("classes/<int:classroom_pk>/codes/", views.booking_codes, name="booking_codes"),
    path("feed/<str:token>/counseling.ics", views.feed, name="feed"),
    path("feed-link/", views.feed_link, name="feed_link"),
    path("my/", parent_views.parent_home, name="parent_home"),
    path("my/<int:student_pk>/book/", parent_views.parent_book, name="parent_book"),
    path("my/<int:student_pk>/book/confirm/", parent_views.parent_book_confirm, name="parent_book_confirm"),
    path("my/bookings/<int:pk>/", parent_views.parent_booking, name="parent_booking"),
    path("student/", views.student_start, name="student_start"),
    path("student/book/", views.student_book, name="student_book"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/<int:pk>/", views.mailbox_message, name="mailbox_message"),
    path("mailbox/reply/", views.mailbox_read, name="mailbox_read"),
    path("mailbox/write/<slug:district_code>/<slug:school_code>/", views.mailbox_write, name="mailbox_write"),
    # Posters printed before the district was in the address: a code shared by schools of two districts asks which.
    path("mailbox/write/<slug:school_code>/", views.mailbox_write_by_code, name="mailbox_write_by_code"),
    path("risk-words/", views.risk_words, name="risk_words"),
    path("poster/", poster_views.poster, name="poster"),
]
