"""The demo province (Kalimantan Tengah): composes demo data from every app's services; top layer."""
