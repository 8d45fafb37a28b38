from unittest import mock

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_save
from django.test import SimpleTestCase, override_settings

from servicehall.db.hotcache import HotCache


class HotCacheTests(SimpleTestCase):
    def setUp(self):
        self.cache = HotCache("test", invalidated_by=("auth.Group",))
        self.loads = 0
        self.clock = mock.patch("servicehall.db.hotcache.time.monotonic", return_value=100.0)
        self.monotonic = self.clock.start()
        self.addCleanup(self.clock.stop)

    def load(self):
        self.loads += 1
        return f"value {self.loads}"

    @override_settings(SH_HOT_CACHE_SECONDS=2)
    def test_a_value_is_loaded_once_while_fresh_and_again_after_it_expires(self):
        self.assertEqual(self.cache.get("k", self.load), "value 1")
        self.monotonic.return_value = 101.9
        self.assertEqual(self.cache.get("k", self.load), "value 1")
        self.monotonic.return_value = 102.1
        self.assertEqual(self.cache.get("k", self.load), "value 2")
        self.assertEqual(self.loads, 2)

    @override_settings(SH_HOT_CACHE_SECONDS=2)
    def test_unknown_keys_are_not_kept(self):
        self.assertIsNone(self.cache.get("nobody", lambda: None))
        self.assertIsNone(self.cache.peek("nobody"))

    @override_settings(SH_HOT_CACHE_SECONDS=2)
    def test_saving_a_named_model_empties_it_and_other_models_do_not(self):
        self.cache.get("k", self.load)
        post_save.send(sender=Permission, instance=None, created=False)
        self.assertEqual(self.cache.peek("k"), "value 1")
        post_save.send(sender=Group, instance=None, created=False)
        self.assertIsNone(self.cache.peek("k"))
        self.assertEqual(self.cache.get("k", self.load), "value 2")

    @override_settings(SH_HOT_CACHE_SECONDS=0)
    def test_zero_seconds_turns_it_off(self):
        self.cache.get("k", self.load)
        self.cache.get("k", self.load)
        self.assertEqual(self.loads, 2)

    @override_settings(SH_HOT_CACHE_SECONDS=2)
    def test_it_empties_itself_when_full(self):
        with mock.patch("servicehall.db.hotcache.MAX_ENTRIES", 3):
            for key in "abcd":
                self.cache.put(key, key)
        self.assertIsNone(self.cache.peek("a"))
        self.assertEqual(self.cache.peek("d"), "d")
