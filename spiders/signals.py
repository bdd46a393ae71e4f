"""The crawl's own signals, through which the spider and the item pipeline meet.

``item_found`` carries an item the spider learned outside a callback (a DNS or TLS probe
answered in a thread, a request made outside Scrapy): Scrapy only takes items from callbacks,
so the spider sends this signal through the crawler and the database pipeline, which connects
to it, writes the item like any other. ``site_finished`` tells that a site's crawl is over
(the browser then closes that site's context).
"""

from __future__ import annotations

item_found = object()  # send_catch_log(item_found, item=dict)

site_finished = object()  # send_catch_log(site_finished, site_pk=int): the site is done
