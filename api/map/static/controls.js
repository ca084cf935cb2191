/* aralrisk map: the side panel (title, weights, ranking, layers) and a fullscreen button.
 *
 * Leaflet has no fullscreen control of its own and the usual plugin is not packaged for
 * Python, so this is a small one on the browser's Fullscreen API.
 */
(function (AR) {
  'use strict';

  const METHODS = [
    ['geometric', 'INFORM geometric mean', 'Hazards combine by INFORM’s adjusted geometric mean (one hazard, one vote): a severe hazard is not averaged away.'],
    ['max', 'Worst hazard', 'The most severe weighted hazard alone sets the composite.'],
  ];

  /** Four corner brackets, drawn as SVG (no icon font is needed). */
  function fullscreenIcon() {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('width', '16');
    svg.setAttribute('height', '16');
    svg.setAttribute('aria-hidden', 'true');
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', 'M2 6V2h4M10 2h4v4M14 10v4h-4M6 14H2v-4');
    path.setAttribute('fill', 'none');
    path.setAttribute('stroke', 'currentColor');
    path.setAttribute('stroke-width', '2');
    svg.appendChild(path);
    return svg;
  }

  AR.FullscreenControl = L.Control.extend({
    options: {position: 'topleft'},
    onAdd: function (map) {
      const bar = L.DomUtil.create('div', 'leaflet-bar ar-fullscreen');
      const button = L.DomUtil.create('a', '', bar);
      button.href = '#';
      button.setAttribute('role', 'button');
      button.title = 'Full screen';
      button.setAttribute('aria-label', 'Full screen');
      button.appendChild(fullscreenIcon());
      const container = map.getContainer();
      L.DomEvent.on(button, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        if (document.fullscreenElement) {
          document.exitFullscreen();
        } else if (container.requestFullscreen) {
          container.requestFullscreen();
        }
      });
      L.DomEvent.disableClickPropagation(bar);
      document.addEventListener('fullscreenchange', function () {
        const on = document.fullscreenElement === container;
        button.title = on ? 'Leave full screen' : 'Full screen';
        container.classList.toggle('ar-is-fullscreen', on);
        map.invalidateSize();
      });
      return bar;
    },
  });

  /** The legend of what the map shows, in its corner, so a screenshot explains itself:
   *  the district risk classes (of the build's INFORM release), or the legend of the
   *  overlay switched on last. */
  AR.MapLegendControl = L.Control.extend({
    options: {position: 'topright'},
    initialize: function (caption, classes, options) {
      this.caption = caption;
      this.classes = classes;
      L.setOptions(this, options);
    },
    onAdd: function (map) {
      this.box = L.DomUtil.create('div', 'ar-map-legend leaflet-bar');
      L.DomEvent.disableClickPropagation(this.box);
      this.show(this.caption, this.classes);
      // A popup says what it shows and may open under the corner: the legend steps aside.
      const box = this.box;
      map.on('popupopen', function () { box.hidden = true; });
      map.on('popupclose', function () { box.hidden = false; });
      return this.box;
    },
    show: function (caption, classes) {
      this.box.replaceChildren(AR.legend(classes, caption));
    },
  });

  /** Build the panel's sections; returns the nodes the other scripts fill. */
  AR.Panel = function (root, cfg) {
    const created = cfg.created ? String(cfg.created).slice(0, 10) : '';
    const header = AR.el('header', {className: 'ar-header'}, [
      AR.el('h1', {textContent: cfg.title}),
      AR.el('p', {className: 'ar-build', textContent: 'Build ' + cfg.version + (created ? ' · ' + created : '')}),
      cfg.illustrative ? AR.el('p', {className: 'ar-banner', role: 'note', textContent: 'Illustrative sample data: not for decisions.'}) : null,
      cfg.mode === 'static' ? AR.el('p', {className: 'ar-note', textContent: 'Offline copy: the maps are pictures of the build; point values and reports need the live service.'}) : null,
    ]);
    const status = AR.el('p', {className: 'ar-status ar-warn', role: 'status'});
    const profile = AR.el('select', {id: 'ar-profile', 'aria-label': 'Weight profile'});
    const method = AR.el('select', {id: 'ar-method', 'aria-label': 'How hazards combine'});
    METHODS.forEach(function (m) { method.appendChild(AR.el('option', {value: m[0], textContent: m[1]})); });
    method.value = cfg.defaults.method;
    const methodNote = AR.el('p', {className: 'ar-note'});
    function describeMethod() {
      const chosen = METHODS.find(function (m) { return m[0] === method.value; });
      methodNote.textContent = chosen ? chosen[2] : '';
    }
    method.addEventListener('change', describeMethod);
    describeMethod();
    const profileNote = AR.el('p', {className: 'ar-note', id: 'ar-profile-note'});
    const weightsNote = AR.el('p', {className: 'ar-note ar-weights'});
    const weightsBox = AR.el('details', {className: 'ar-weights-box'}, [
      AR.el('summary', {className: 'ar-note', textContent: 'Hazard weights in use'}), weightsNote,
    ]);
    const weights = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: 'Weights'}),
      AR.el('label', {for: 'ar-profile', textContent: 'What matters most'}), profile, profileNote,
      AR.el('label', {for: 'ar-method', textContent: 'How hazards combine'}), method, methodNote,
      weightsBox,
    ]);
    const ranking = AR.el('div', {className: 'ar-ranking-box'}, [AR.el('p', {className: 'ar-note', textContent: 'Loading districts…'})]);
    const order = AR.el('div', {className: 'ar-order'});
    const orderNote = AR.el('p', {className: 'ar-note ar-order-note', role: 'status'});
    const choropleth = AR.el('div', {className: 'ar-choropleth-legend'});
    const rankingSection = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: 'Districts: risk, hazard and people'}),
      AR.el('p', {className: 'ar-note', textContent: 'Risk (INFORM, 0-10) combines hazard & exposure, vulnerability and lack of coping capacity; the hazard level is the highest ThinkHazard! level of any hazard; people exposed live where at least one hazard reaches its exposure threshold. Click a row or a district for details.'}),
      order,
      orderNote,
      ranking,
      choropleth,
    ]);
    const layers = AR.el('div', {className: 'ar-layers'});
    const layersSection = AR.el('section', {className: 'ar-section'}, [
      AR.el('h2', {textContent: 'Map layers'}),
      layers,
    ]);
    const help = AR.el('p', {className: 'ar-note ar-help', textContent: 'Click anywhere on the map for every layer’s value at that point.'});
    root.replaceChildren(header, status, weights, rankingSection, layersSection, help);
    return {
      status: status, profile: profile, method: method, profileNote: profileNote,
      weightsNote: weightsNote, ranking: ranking, order: order, orderNote: orderNote,
      choropleth: choropleth, layers: layers,
    };
  };
})(window.aralrisk = window.aralrisk || {});
