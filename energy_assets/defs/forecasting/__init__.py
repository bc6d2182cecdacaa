"""Day-ahead forecasting: the model, forecast and backtest assets and their automation."""
