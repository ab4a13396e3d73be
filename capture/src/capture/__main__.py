from capture.settings import CaptureSettings
from leadkit.runner import serve

settings = CaptureSettings()
serve("capture.main:create_app", host=settings.host, port=settings.port)
