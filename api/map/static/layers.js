/* aralrisk map: raster overlays (hazards, people, composite, people exposed) with opacity and legends.
 *
 * Each overlay is a row of the panel: a checkbox, an opacity slider and, while it is on,
 * its legend (classes with thresholds and units, from /layers). Tile layers are bounded
 * to the data and to the zooms their TileJSON states, so no tile is asked for that the
 * server would answer with 404.
 */
(function (AR) {
  'use strict';

  /** The titles of the layer groups, in the page's language. */
  function groupTitles() {
    return {
      risk: AR.t('Districts, all hazards and people exposed'),
      water: AR.t('Water: floods and salinity'),
      dust: AR.t('Dust and salt storms'),
      climate: AR.t('Climate: heat, drought, warming'),
      exposure: AR.t('People'),
      vulnerability: AR.t('Vulnerability and lack of coping capacity'),
      basemap: AR.t('Background'),
    };
  }

  /** A legend: one row per class, colour chip and label (thresholds and units). */
  AR.legend = function (classes, caption) {
    const list = AR.el('ul', {className: 'ar-legend'});
    classes.forEach(function (cls) {
      list.appendChild(AR.el('li', {}, [AR.swatch(cls.color), cls.label]));
    });
    return AR.el('div', {className: 'ar-legend-box'}, [
      caption ? AR.el('div', {className: 'ar-legend-caption', textContent: caption}) : null,
      list,
    ]);
  };

  /** A Leaflet layer from a spec: {tiles, bounds, minzoom, maxzoom} or {image, bounds}. */
  function leafletLayer(spec, options) {
    if (spec.image) {
      return L.imageOverlay(spec.image, spec.bounds, options);
    }
    return L.tileLayer(spec.tiles, Object.assign({
      bounds: spec.bounds,
      minZoom: spec.minzoom,
      maxNativeZoom: spec.maxzoom,
      maxZoom: 19,
    }, options));
  }
  AR.leafletLayer = leafletLayer;

  /** The overlays of the panel's "Map layers" section. */
  AR.Overlays = class {
    constructor(map, source, container, onToggle) {
      this.map = map;
      this.source = source;
      this.container = container;
      this.onToggle = onToggle;
      this.rows = {};
      this.groups = {};
      this.active = []; // ids in the order they were switched on
      this.weights = null;
      map.createPane('arRaster').style.zIndex = 300;
    }

    group(id) {
      if (!this.groups[id]) {
        const title = groupTitles()[id] || id.charAt(0).toUpperCase() + id.slice(1);
        const box = AR.el('div', {className: 'ar-group'}, [AR.el('h3', {textContent: title})]);
        this.container.appendChild(box);
        this.groups[id] = box;
      }
      return this.groups[id];
    }

    /** Add an overlay row: def = {id, title, group, legend, caption, description, load}. */
    add(def) {
      const self = this;
      const row = {def: def, layer: null, opacity: def.opacity || 0.75, on: false};
      const checkbox = AR.el('input', {type: 'checkbox', id: 'ar-ov-' + def.id, 'data-layer': def.id});
      const slider = AR.el('input', {
        type: 'range', min: '0', max: '100', value: String(Math.round(row.opacity * 100)),
        className: 'ar-opacity', 'aria-label': AR.t('Opacity of {layer}', {layer: def.title}), title: AR.t('Opacity'),
      });
      const legendBox = AR.el('div', {className: 'ar-overlay-legend', hidden: ''}, [
        def.description ? AR.el('p', {className: 'ar-note', textContent: def.description}) : null,
        AR.legend(def.legend, def.caption),
      ]);
      const status = AR.el('div', {className: 'ar-status', role: 'status'});
      const label = AR.el('label', {for: 'ar-ov-' + def.id, textContent: def.title});
      const node = AR.el('div', {className: 'ar-overlay', 'data-layer': def.id}, [
        AR.el('div', {className: 'ar-overlay-head'}, [checkbox, label, slider]),
        status, legendBox,
      ]);
      checkbox.addEventListener('change', function () { self.toggle(def.id, checkbox.checked); });
      slider.addEventListener('input', function () {
        row.opacity = Number(slider.value) / 100;
        if (row.layer) row.layer.setOpacity(row.opacity);
      });
      row.node = node;
      row.checkbox = checkbox;
      row.legendBox = legendBox;
      row.status = status;
      this.rows[def.id] = row;
      this.group(def.group).appendChild(node);
    }

    /** The definitions of the overlays that are on, the last switched on last. */
    activeDefs() {
      const rows = this.rows;
      return this.active.map(function (id) { return rows[id].def; });
    }

    setActive(id, on) {
      this.active = this.active.filter(function (other) { return other !== id; });
      if (on) this.active.push(id);
      if (this.onToggle) this.onToggle(this.activeDefs());
    }

    async toggle(id, on) {
      const row = this.rows[id];
      row.on = on;
      row.checkbox.checked = on;
      row.legendBox.hidden = !on;
      row.status.textContent = '';
      if (on) {
        try {
          const spec = await row.def.load(this.weights);
          if (!row.on) return; // switched off while loading
          if (!row.layer) {
            row.layer = leafletLayer(spec, {opacity: row.opacity, pane: 'arRaster', className: 'ar-raster-' + id});
            row.url = spec.tiles || spec.image;
          } else {
            this.setUrl(row, spec);
          }
          row.layer.addTo(this.map);
        } catch (err) {
          row.status.textContent = AR.t('Not available: {reason}', {reason: err.message});
          row.on = false;
          row.checkbox.checked = false;
          row.legendBox.hidden = true;
        }
      } else if (row.layer) {
        this.map.removeLayer(row.layer);
      }
      this.setActive(id, row.on);
    }

    setUrl(row, spec) {
      const url = spec.tiles || spec.image;
      if (url !== row.url) {
        row.layer.setUrl(url);
        row.url = url;
      }
    }

    /** New weights: overlays that depend on them (the composite) get new URLs. */
    async setWeights(weights) {
      this.weights = weights;
      const self = this;
      await Promise.all(Object.values(this.rows).map(async function (row) {
        if (!row.def.weighted || !row.layer) return;
        try {
          self.setUrl(row, await row.def.load(weights));
        } catch (err) {
          row.status.textContent = AR.t('Not available: {reason}', {reason: err.message});
        }
      }));
    }

    /** The URL an overlay draws now (tests and the status line read it). */
    url(id) {
      const row = this.rows[id];
      return row && row.layer ? row.url : null;
    }
  };
})(window.aralrisk = window.aralrisk || {});
