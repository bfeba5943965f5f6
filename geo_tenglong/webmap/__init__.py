"""The briefing web map (folium/Leaflet, self-contained HTML that works offline)."""
