"""Apache Airflow provider for MiniMax Hailuo video generation."""

__version__ = "0.1.0"

__all__ = ["__version__"]
