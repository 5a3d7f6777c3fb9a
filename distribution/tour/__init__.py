"""The mobile workshop (« Tournée », issue 20): mobile units and their invoice series, tours
downloaded before leaving, the actions recorded offline and how each one was received."""
