from django import template

from servicehall.lib.masking import mask_citizen_id, mask_name, mask_phone

register = template.Library()
register.filter("phone_mask", mask_phone)
register.filter("id_mask", mask_citizen_id)
register.filter("name_mask", mask_name)
