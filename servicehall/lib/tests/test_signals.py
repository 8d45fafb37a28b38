"""A signal sent after a commit: never before it, never for a rolled-back write, and a receiver
that fails neither stops the others nor turns the committed write into an error."""

from django.db import transaction
from django.dispatch import Signal
from django.test import TestCase

from servicehall.lib.signals import send_after_commit


class SendAfterCommitTests(TestCase):
    def setUp(self):
        self.signal = Signal()
        self.heard = []

    def test_receivers_hear_it_once_the_transaction_commits(self):
        self.signal.connect(lambda sender, n, **kw: self.heard.append(n), weak=False)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            with transaction.atomic():
                send_after_commit(self.signal, "sender", n=1)
                self.assertEqual(self.heard, [])
        self.assertEqual((len(callbacks), self.heard), (1, [1]))

    def test_a_rolled_back_write_is_never_announced(self):
        self.signal.connect(lambda sender, n, **kw: self.heard.append(n), weak=False)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    send_after_commit(self.signal, "sender", n=1)
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
        self.assertEqual((callbacks, self.heard), ([], []))

    def test_a_failing_receiver_is_logged_and_the_others_still_hear_it(self):
        def broken(sender, **kwargs):
            raise RuntimeError("gateway down")

        self.signal.connect(broken, weak=False)
        self.signal.connect(lambda sender, n, **kw: self.heard.append(n), weak=False)
        with self.assertLogs("servicehall.signals", "ERROR") as logs, self.captureOnCommitCallbacks(execute=True):
            send_after_commit(self.signal, "sender", n=2)
        self.assertEqual(self.heard, [2])
        self.assertIn("gateway down", "\n".join(logs.output))
