"""Settings as the app gets them: the model, .env/env reading, and framework formats."""
