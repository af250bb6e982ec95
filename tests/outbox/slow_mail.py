"""A mail server that takes its time: it says when a message is being sent, then waits, so that a
second sender can try the same email meanwhile."""

import threading
import time

from django.core.mail.backends.locmem import EmailBackend

sending = threading.Event()


class SlowEmailBackend(EmailBackend):
    def send_messages(self, messages):
        sending.set()
        time.sleep(0.5)  # the window in which a second task arrives; no assertion depends on it
        return super().send_messages(messages)
