"""The catalogue over the API: the public guide's items, proposals and decisions."""

from ninja import Router

router = Router(tags=["政务服务事项"])
