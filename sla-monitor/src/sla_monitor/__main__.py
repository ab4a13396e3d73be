from leadkit.runner import serve
from sla_monitor.settings import SlaMonitorSettings

settings = SlaMonitorSettings()
serve("sla_monitor.main:create_app", host=settings.host, port=settings.port)
