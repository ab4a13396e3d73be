from leadkit.runner import serve
from scoring.settings import ScoringSettings

settings = ScoringSettings()
serve("scoring.main:create_app", host=settings.host, port=settings.port)
