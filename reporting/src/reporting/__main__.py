from leadkit.runner import serve
from reporting.settings import ReportingSettings

settings = ReportingSettings()
serve("reporting.main:create_app", host=settings.host, port=settings.port)
