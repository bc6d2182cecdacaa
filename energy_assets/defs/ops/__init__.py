"""Operations: alerts on failed runs and checks."""
