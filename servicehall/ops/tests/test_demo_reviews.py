"""The demo reviews: the demo's completed cases rated by their applicants, bad ones followed up."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from servicehall.ops.demo.reviews import load_demo_reviews
from servicehall.org.models import District
from servicehall.reviews.models import BAD_LEVELS, Level, Rectification, RectificationStatus, Review
from servicehall.testing import FAST_HASHERS


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class DemoReviewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", "--force-demo", stdout=StringIO())

    def test_completed_demo_cases_are_rated_and_bad_ones_followed_up(self):
        reviews = Review.objects.all()
        self.assertGreater(reviews.count(), 50)
        self.assertEqual(set(reviews.values_list("level", flat=True)), set(Level.values))
        self.assertTrue(all(r.case.completed_on <= timezone.localdate() for r in reviews.select_related("case")))
        self.assertEqual(Rectification.objects.count(), reviews.filter(level__in=BAD_LEVELS).count())
        self.assertGreater(Rectification.objects.filter(status=RectificationStatus.CLOSED).count(), 0)
        self.assertEqual(load_demo_reviews(District.objects.get()), 0)  # loading again adds nothing
