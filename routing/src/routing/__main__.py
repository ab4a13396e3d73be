from leadkit.runner import serve
from routing.settings import RoutingSettings

settings = RoutingSettings()
serve("routing.main:create_app", host=settings.host, port=settings.port)
