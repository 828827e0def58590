// Placeholder: the calibration module is being written.
