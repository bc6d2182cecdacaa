"""Day-ahead forecasting: the model, naive baselines, metrics and the rolling backtest."""
