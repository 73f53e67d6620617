"""Stand-alone scripts the demo copies into its folder and runs with the current interpreter."""
