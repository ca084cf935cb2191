/* aralrisk map: a district's popup card.
 *
 * Three boxes side by side answer a planner's first questions: how high is the risk
 * (INFORM class, score, rank, or "not ranked" and why), how severe is the worst hazard
 * (ThinkHazard! level and which hazards), and how many people are exposed. Below them
 * the district's note, the data confidence, every hazard's level with its people
 * exposed, the drivers and the link to the printable report.
 */
(function (AR) {
  'use strict';

  function hazardTitles(cfg) {
    const titles = {};
    cfg.hazards.forEach(function (h) { titles[h.id] = h.title; });
    return titles;
  }

  function box(className, label, children) {
    return AR.el('div', {className: 'ar-head-box ' + className}, [
      AR.el('div', {className: 'ar-head-label', textContent: label}),
    ].concat(children));
  }

  function rankText(p, count) {
    if (p.rank === null || p.rank === undefined) return AR.t('not ranked');
    const by = p.rank_by === 'hazard' ? ' ' + AR.t('(by hazard)') : '';
    return AR.t('rank {rank} of {count}', {rank: p.rank, count: count}) + by;
  }

  function riskBox(p, ctx) {
    const color = ctx.classColor[p.risk_class] || AR.NO_DATA_COLOR;
    return box('ar-head-risk', AR.t('Risk class'), [
      AR.el('div', {className: 'ar-head-value'}, [AR.swatch(color), AR.el('strong', {textContent: AR.t(p.risk_class)})]),
      AR.el('div', {textContent: AR.t('{score} of 10', {score: AR.score(p.risk)}) + ' · ' + rankText(p, ctx.features.length), className: 'ar-rank'}),
      AR.el('div', {className: 'ar-head-note', textContent: ctx.cfg.classes.name}),
    ]);
  }

  function hazardBox(p, ctx) {
    const titles = hazardTitles(ctx.cfg);
    const which = (p.hazard_level_hazards || []).map(function (id) { return titles[id] || id; });
    return box('ar-head-hazard', AR.t('Hazard level'), [
      AR.el('div', {className: 'ar-head-value'}, [AR.levelChip(p.hazard_level, ctx.cfg.level_labels)]),
      AR.el('div', {className: 'ar-head-hazards', textContent: which.length ? which.join(', ') : AR.t('no hazard above very low')}),
      AR.el('div', {className: 'ar-head-note', textContent: AR.t('ThinkHazard! levels')}),
    ]);
  }

  function peopleBox(p) {
    const of = p.population !== null && p.population !== undefined ?
      AR.t('{share} of {population}', {share: AR.percent(p.people_exposed_share), population: AR.people(p.population)}) : '';
    return box('ar-head-people', AR.t('People exposed'), [
      AR.el('div', {className: 'ar-head-value'}, [AR.el('strong', {textContent: AR.people(p.people_exposed)})]),
      AR.el('div', {className: 'ar-rank', textContent: of}),
      AR.el('div', {className: 'ar-head-note', textContent: AR.t('to at least one hazard')}),
    ]);
  }

  function hazardTable(p, cfg) {
    const rows = cfg.hazards.filter(function (h) { return p[h.id + '_level'] !== undefined; }).map(function (h) {
      return AR.el('tr', {'data-hazard': h.id, className: h.context ? 'ar-context' : ''}, [
        AR.el('td', {textContent: h.title + (h.context ? ' ' + AR.t('(context)') : '')}),
        AR.el('td', {}, [AR.levelChip(p[h.id + '_level'], cfg.level_labels)]),
        AR.el('td', {className: 'ar-num', textContent: h.context ? '' : AR.people(p[h.id + '_exposed'])}),
      ]);
    });
    return AR.el('table', {className: 'ar-levels ar-hazard-levels'}, [
      AR.el('thead', {}, [AR.el('tr', {}, [
        AR.el('th', {textContent: AR.t('Hazard')}), AR.el('th', {textContent: AR.t('Level')}),
        AR.el('th', {textContent: AR.t('People exposed'), className: 'ar-num'}),
      ])]),
      AR.el('tbody', {}, rows),
    ]);
  }

  function drivers(p) {
    const items = (p.drivers || []).map(function (d) {
      return AR.el('li', {textContent: AR.t(d.title) + ': ' + AR.t('{people} people exposed ({share}% of the weighted exposure)',
        {people: AR.people(d.people_exposed), share: AR.fmt(100 * d.contribution, 0)})});
    });
    if (!items.length) return null;
    return AR.el('div', {className: 'ar-drivers'}, [AR.el('strong', {textContent: AR.t('What drives the risk')}), AR.el('ol', {}, items)]);
  }

  /** The card of district properties p; ctx is the AR.Districts instance. */
  AR.districtCard = function (p, ctx) {
    const name = AR.districtName(p);
    // The other two languages' names, each marked with its language.
    const others = AR.districtNames(p).filter(function (n) { return n.text && n.text !== name; });
    const names = others.length ? AR.el('div', {className: 'ar-names'}, others.map(function (n, i) {
      return AR.el('span', {lang: n.lang, textContent: (i ? ' · ' : '') + n.text});
    })) : null;
    const confidence = AR.t('Data confidence: {confidence}', {confidence: AR.t(p.confidence)}) +
      (p.confidence_note ? ' — ' + AR.t(p.confidence_note) : '') +
      (p.min_coverage !== null && p.min_coverage !== undefined && !p.confidence_note ?
        ' ' + AR.t('(lowest data coverage {share}%)', {share: AR.fmt(100 * p.min_coverage, 0)}) : '');
    const card = AR.el('div', {className: 'ar-card', 'data-code': p.code}, [
      AR.el('h3', {className: 'ar-card-title', textContent: name}),
      names,
      p.note ? AR.el('p', {className: 'ar-district-note', role: 'note', textContent: AR.t(p.note)}) : null,
      AR.el('div', {className: 'ar-headline'}, [riskBox(p, ctx), hazardBox(p, ctx), peopleBox(p)]),
      AR.el('p', {className: 'ar-confidence ar-confidence-' + p.confidence, textContent: confidence}),
      hazardTable(p, ctx.cfg),
      drivers(p),
    ]);
    const report = ctx.source.report(p.code);
    if (report) {
      card.appendChild(AR.el('a', {className: 'ar-report-link', href: report, target: '_blank', rel: 'noopener', textContent: AR.t('Preparedness report for {district}', {district: name}) + ' →'}));
    }
    return card;
  };
})(window.aralrisk = window.aralrisk || {});
